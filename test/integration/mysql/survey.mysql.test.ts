// The survey integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('survey suite', () => import('../survey.test.js'));
