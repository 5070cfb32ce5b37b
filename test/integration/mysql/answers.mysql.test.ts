// The answers integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('answers suite', () => import('../answers.test.js'));
