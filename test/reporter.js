// mocha's spec reporter, plus the plain closing line CI systems read:
// "N passed, N failed, N skipped". Under scripts/test.sh (npm test) the counts go to the
// file APP_COUPLING_TEST_STATS names instead, and that script prints the closing line
// (adding tsc and eslint, which run beside mocha).
const fs = require("fs");
const Mocha = require("mocha");

class SpecWithSummary extends Mocha.reporters.Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            const stats = process.env.APP_COUPLING_TEST_STATS;
            if (stats) fs.writeFileSync(stats, `${passes} ${failures} ${pending}\n`);
            else console.log(`${passes} passed, ${failures} failed, ${pending} skipped`);
        });
    }
}

module.exports = SpecWithSummary;
