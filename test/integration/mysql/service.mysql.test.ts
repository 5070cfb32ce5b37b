// The same integration suite, on MariaDB + Redis instead of the embedded store.
import { test } from 'node:test';
import { loudSkip, mysqlUnavailable } from '../../helpers/mysql.js';

const why = await mysqlUnavailable();
if (why) {
  test('service suite on MariaDB + Redis', { skip: loudSkip('service suite on MariaDB + Redis', why) }, () => {});
} else {
  process.env.WXCOZE_TEST_BACKEND = 'mysql';
  await import('../service.test.js');
}
