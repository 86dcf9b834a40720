/**
 * The CLI's V8 heap grows by half its live size between full collections, not by V8's default
 * (up to four times). A batch target's run allocates fast — every request line parsed, hashed
 * and tokenized — and the tokenizer's cache moves entries on every hit, so most of what survives a
 * young collection is garbage by the next full one; with the default growth, a 1M-request submit
 * with ~70 MB live peaked at 730 MB RSS (bench/RESULTS.md, "Scale"). The flag is read at each full
 * collection, so setting it once the process runs takes effect. A user's own setting
 * (NODE_OPTIONS or node's command line) is left alone.
 */
import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';
const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes(FLAG.slice(2)));
if (!given) setFlagsFromString(`${FLAG}=50`);
