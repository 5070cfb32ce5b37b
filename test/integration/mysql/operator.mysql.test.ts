// The operator suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('operator suite', () => import('../operator.test.js'));
