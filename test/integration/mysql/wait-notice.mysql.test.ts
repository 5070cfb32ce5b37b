// The waiting-notice integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('wait-notice suite', () => import('../wait-notice.test.js'));
