// The idle-pull suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('idle pull suite', () => import('../idle-pull.test.js'));
