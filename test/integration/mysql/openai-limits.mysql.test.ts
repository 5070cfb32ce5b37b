// The rate-limit and CORS suite again, on MariaDB + Redis (the limits are counted in Redis).
import { onMysql } from '../../helpers/mysql.js';

await onMysql('openai limits suite', () => import('../openai-limits.test.js'));
