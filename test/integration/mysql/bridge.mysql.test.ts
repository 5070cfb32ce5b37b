// The bridge integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('bridge suite', () => import('../bridge.test.js'));
