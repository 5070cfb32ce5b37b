// The console settings suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('console settings suite', () => import('../console-settings.test.js'));
