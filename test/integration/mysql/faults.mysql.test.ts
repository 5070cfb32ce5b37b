// The faults integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('faults suite', () => import('../faults.test.js'));
