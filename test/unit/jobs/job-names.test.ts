import t from 'tap';
import { mediatorJobs, type MediatorJobDeps } from '../../../src/jobs/index.js';
import { jobNames } from '../../../src/jobs/job-names.js';

t.test("the job names known without building the jobs are the mediator's jobs", async (t) => {
  // the factories keep their dependencies for a run; only the outbox is used to build one (its handlers)
  const jobs = mediatorJobs({ outbox: { register: () => undefined } } as unknown as MediatorJobDeps);
  t.same([...jobNames()].sort(), jobs.map((j) => j.name).sort());
  for (const job of jobs) t.equal(job.setting, `schedules.${job.name}`, `${job.name}'s schedule setting`);
});
