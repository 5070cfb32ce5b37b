/** Credentials shared by the bench, its fakes and the server it starts (loopback only; the WeCom docs' sample values). */
export const BENCH = {
  corpId: 'ww1436e0e65a779aee',
  secret: 'bench-kf-secret-0123456789',
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  aesKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  cozeToken: 'pat_bench_token_abc',
  botId: '7379462189365198898',
  kf: 'wkBENCH0000000000000000000000000',
};
