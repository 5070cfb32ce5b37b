// The crash integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('crash suite', () => import('../crash.test.js'));
