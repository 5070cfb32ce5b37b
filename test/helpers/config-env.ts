/** A complete, valid configuration (the public test vectors' WeCom values, a fake Coze token): unit tests change one value at a time. */
export const GOOD_ENV = {
  WECOM_CORP_ID: 'ww1436e0e65a779aee',
  WECOM_SECRET: 's3cret',
  WECOM_TOKEN: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  WECOM_ENCODING_AES_KEY: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  COZE_API_TOKEN: 'pat_x',
  COZE_BOT_ID: '7379462189365198898',
} as const;
