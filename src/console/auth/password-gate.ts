import { Gate } from '../../util/gate.js';

/**
 * A password check is scrypt: ~32 MiB and 50–100 ms of a libuv thread each (src/console/auth/password.ts).
 * Concurrent logins pass the per-address throttle together (it counts failures only once they are
 * known), so a flood of them would take the server's memory and the thread pool that file and DNS
 * work share. At most `running` checks run at once and at most `waiting` more wait for a turn;
 * beyond that a login is refused at once as busy (the page asks to try again in a moment).
 */
export class PasswordGate extends Gate {
  constructor(running = 2, waiting = 16) {
    super(running, waiting);
  }
}
