// The kf-account suite again, on MariaDB + Redis (the account list is cached in Redis).
import { onMysql } from '../../helpers/mysql.js';

await onMysql('kf accounts suite', () => import('../kf-accounts.test.js'));
