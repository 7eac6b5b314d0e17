import { z } from "zod";

/** An environment variable holding a whole number in [min, max]. */
export const envInteger = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
