// The console access suites again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('console access suite', () => import('../console-access.test.js'));
await onMysql('console login suite', () => import('../console-login.test.js'));
