/**
 * A learning rate as a function of the optimizer iteration (0 for the first update). Structurally the same
 * type as `@bot/lr-schedules`' `Schedule`, so any of its schedules plugs in without a runtime dependency.
 */
export type Schedule = (step: number) => number;
