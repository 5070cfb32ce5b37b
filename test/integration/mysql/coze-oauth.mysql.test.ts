// The Coze OAuth suite again, on MariaDB + Redis: the token shared (sealed) through Redis, the switch's conversations in MySQL.
import { onMysql } from '../../helpers/mysql.js';

await onMysql('Coze OAuth suite', () => import('../coze-oauth.test.js'));
