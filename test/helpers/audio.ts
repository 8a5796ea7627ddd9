import { expect } from 'vitest';
import { readWavInfo } from '../../src/audio/ai-marking.js';
import { parsePcmWav } from '../../src/audio/join.js';

/**
 * The WAV the bot posted is the API's, sample for sample, marked as AI-generated with the job's reference in a
 * LIST/INFO chunk (and nothing else changed: same format, same samples).
 */
export function expectMarkedCopy(posted: Buffer, original: Buffer, jobId?: string): void {
	const [mine, theirs] = [parsePcmWav(posted), parsePcmWav(original)];
	expect(mine?.format).toEqual(theirs?.format);
	expect(Buffer.compare(mine?.data ?? Buffer.alloc(0), theirs?.data ?? Buffer.alloc(1))).toBe(0);
	expect(readWavInfo(posted)?.ICMT).toMatch(jobId ? `AI-generated (XTTS v2) · ref ${jobId}` : /^AI-generated \(XTTS v2\) · ref [\w-]+$/);
	expect(posted.length).toBeGreaterThan(original.length);
}
