/**
 * Issue 9's fault-and-crash run through the real OpenLMIS connector and sandbox, on sqlite
 * (the run itself, and what it asserts: test/support/openlmis-faults-suite.ts).
 */
import { faultsCrashSuite } from '../../../support/openlmis-faults-suite.js';

faultsCrashSuite('sqlite');
