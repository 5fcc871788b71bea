// Runs autocannon in its own process so the load generator does not share the measured server's
// event loop or CPU accounting. Input: one JSON argument (autocannon options). Output: the result JSON.
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);
const result = await autocannon(opts);
process.stdout.write(JSON.stringify(result));
