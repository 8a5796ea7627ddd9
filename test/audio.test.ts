import { describe, expect, it } from 'vitest';
import { outputFileName, sniffAudio, speakerFormatForFileName, wavDurationSeconds, isAudioContentType } from '../src/audio/formats.js';
import { checkSpeakerMetadata, MAX_SPEAKER_BYTES } from '../src/audio/speaker-check.js';
import { makeWav } from './fakes/xtts-api.js';

describe('sniffAudio', () => {
	it('recognises the formats the API reads from their bytes', async () => {
		expect((await sniffAudio(makeWav()))?.speakerFormat).toBe('wav');
		expect((await sniffAudio(Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(600)])))?.speakerFormat).toBe('mp3');
		expect(
			(await sniffAudio(Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(600)])))
				?.speakerFormat,
		).toBe('mp3');
		expect((await sniffAudio(Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), Buffer.alloc(600)])))?.speakerFormat).toBe('m4a');
		expect((await sniffAudio(Buffer.concat([Buffer.from('FLV'), Buffer.from([1, 4, 0, 0, 0, 9]), Buffer.alloc(600)])))?.speakerFormat).toBe('flv');
		const opus = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead'), Buffer.alloc(600)]);
		expect((await sniffAudio(opus))?.speakerFormat).toBe('ogg');
	});

	it('refuses what is not audio, whatever its name', async () => {
		expect(await sniffAudio(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]))).toBeUndefined();
		expect(await sniffAudio(Buffer.from('just some text, not audio at all'))).toBeUndefined();
		expect(await sniffAudio(Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(64)]))).toBeUndefined();
	});
});

describe('wavDurationSeconds', () => {
	it('reads the duration from the header', () => {
		expect(wavDurationSeconds(makeWav({ seconds: 4, sampleRate: 22_050 }))).toBeCloseTo(4, 3);
		expect(wavDurationSeconds(makeWav({ seconds: 0.5, sampleRate: 48_000, channels: 2 }))).toBeCloseTo(0.5, 3);
	});

	it('works from the head alone and skips chunks before data', () => {
		const wav = makeWav({ seconds: 3 });
		// Insert a LIST chunk between fmt and data.
		const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([6, 0, 0, 0]), Buffer.from('INFOab')]);
		const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
		expect(wavDurationSeconds(withList.subarray(0, 200))).toBeCloseTo(3, 3);
	});

	it('is undefined for non-WAV or truncated headers', () => {
		expect(wavDurationSeconds(Buffer.from('OggS0000000000000000'))).toBeUndefined();
		expect(wavDurationSeconds(makeWav().subarray(0, 30))).toBeUndefined();
	});
});

describe('file names and content types', () => {
	it('maps extensions to the API formats', () => {
		expect(speakerFormatForFileName('Voice.WAV')).toBe('wav');
		expect(speakerFormatForFileName('voice-message.ogg')).toBe('ogg');
		expect(speakerFormatForFileName('memo.m4a')).toBe('m4a');
		expect(speakerFormatForFileName('voice.png')).toBeUndefined();
		expect(speakerFormatForFileName('noextension')).toBeUndefined();
	});

	it('accepts audio content types and refuses others', () => {
		expect(isAudioContentType('audio/x-wav')).toBe(true);
		expect(isAudioContentType('audio/ogg; codecs=opus')).toBe(true);
		expect(isAudioContentType('video/x-flv')).toBe(true);
		expect(isAudioContentType(null)).toBe(true);
		expect(isAudioContentType('image/png')).toBe(false);
		expect(isAudioContentType('application/pdf')).toBe(false);
	});

	it('names the output after its real format', async () => {
		expect(await outputFileName(makeWav())).toBe('clone.wav');
		expect(await outputFileName(Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(600)]))).toBe('clone.mp3');
		expect(await outputFileName(Buffer.from('not audio at all, really'))).toBe('clone.bin');
		// An MP4 (isom brand) of speech plays as M4A.
		const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2'), Buffer.alloc(100)]);
		expect(await outputFileName(mp4)).toBe('clone.m4a');
		// Bytes that say nothing: the URL's extension when it is an audio one.
		expect(await outputFileName(Buffer.from('raw, unknown bytes'), { url: 'https://cdn.example/v1/job/output.flac' })).toBe('clone.flac');
		expect(await outputFileName(Buffer.from('raw, unknown bytes'), { url: 'https://cdn.example/v1/job/output.ext' })).toBe('clone.bin');
	});
});

describe('checkSpeakerMetadata', () => {
	const file = { name: 'voice.wav', url: 'https://cdn.example/voice.wav', size: 1000, contentType: 'audio/x-wav', duration: null };

	it('returns what is wrong as data (the Discord layer words it), and nothing for a usable file', () => {
		expect(checkSpeakerMetadata(file)).toBeUndefined();
		expect(checkSpeakerMetadata({ ...file, contentType: 'image/png' })).toEqual({ ok: false, problem: { kind: 'not-audio', name: 'voice.wav' } });
		expect(checkSpeakerMetadata({ ...file, name: 'voice.flac' })).toEqual({ ok: false, problem: { kind: 'wrong-extension', name: 'voice.flac' } });
		expect(checkSpeakerMetadata({ ...file, size: MAX_SPEAKER_BYTES + 1 })).toEqual({
			ok: false,
			problem: { kind: 'too-large', bytes: MAX_SPEAKER_BYTES + 1, max: MAX_SPEAKER_BYTES },
		});
		expect(checkSpeakerMetadata({ ...file, duration: 0.4 })).toEqual({ ok: false, problem: { kind: 'too-short', seconds: 0.4 } });
	});
});
