// The alerts suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('alerts suite', () => import('../alerts.test.js'));
