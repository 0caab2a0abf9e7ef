/** The one activity of the bare workflows; records when it first ran, per id. */
export const firstRun = new Map<string, number>();

export interface BaselineActivities {
  noop(id: string): Promise<void>;
}

export const baselineActivities: BaselineActivities = {
  async noop(id) {
    if (!firstRun.has(id)) firstRun.set(id, Date.now());
  },
};
