// Customers' media in the console's thread again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('console media suite', () => import('../console-media.test.js'));
