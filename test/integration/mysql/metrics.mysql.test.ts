// The /metrics suite again, on MariaDB + Redis instead of the embedded store.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('metrics suite', () => import('../metrics.test.js'));
