// The console's operator browser tests again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('console operator suite', () => import('../console-operator.test.js'));
