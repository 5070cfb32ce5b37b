// The API identity suite again, on MariaDB + Redis.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('openai identity suite', () => import('../openai-identity.test.js'));
