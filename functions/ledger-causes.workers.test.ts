// One ledger entry per cause outside the jobs runtime (test/contract/ledger-causes.ts) inside
// workerd, on the local D1 of the `DB` binding: every scenario starts from emptied tables.
import { d1Backend } from "../shared/store/d1.workers.ts";
import { ledgerCausesContract } from "../test/contract/ledger-causes.ts";
import { emptiedD1 } from "../test/setup/d1.workers.ts";

ledgerCausesContract("d1", async () => d1Backend(await emptiedD1()));
