import type { JobDefinition, JobName, ScheduleDefinition } from './types';
import { queueOf } from './types';

/**
 * Every job the application knows, with exactly one handler each. Built identically in every
 * process (API and worker) so a producer can refuse unknown names at once.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobDefinition>();
  private readonly schedules = new Map<string, ScheduleDefinition>();

  define<N extends JobName>(definition: JobDefinition<N>): this {
    if (!/^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9]*$/.test(definition.name)) {
      throw new Error(`Job name "${definition.name}" must look like "<queue>.<verb>"`);
    }
    if (this.jobs.has(definition.name)) {
      throw new Error(`Job "${definition.name}" has more than one handler`);
    }
    this.jobs.set(definition.name, definition as unknown as JobDefinition);
    return this;
  }

  schedule<N extends JobName>(schedule: ScheduleDefinition<N>): this {
    if (this.schedules.has(schedule.id)) throw new Error(`Schedule "${schedule.id}" defined twice`);
    this.schedules.set(schedule.id, schedule);
    return this;
  }

  get(name: string): JobDefinition {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`No handler is registered for job "${name}"`);
    return job;
  }

  has(name: string): boolean {
    return this.jobs.has(name);
  }

  queues(): string[] {
    return [...new Set([...this.jobs.keys()].map(queueOf))].sort();
  }

  allSchedules(): ScheduleDefinition[] {
    return [...this.schedules.values()];
  }

  /** Start-up check: every scheduled job has its handler. */
  verify(): void {
    for (const s of this.schedules.values()) this.get(s.name);
  }
}
