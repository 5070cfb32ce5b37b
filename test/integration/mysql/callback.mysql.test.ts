// The callback integration suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('callback suite', () => import('../callback.test.js'));
