// The readiness suite again, on MariaDB (through a TCP proxy the test cuts) + a private Redis.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('readiness suite', () => import('../readiness.test.js'));
