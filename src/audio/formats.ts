import { fileTypeFromBuffer } from 'file-type';

/** The speaker formats the XTTS API reads (its documentation: wav, mp3, m4a, ogg, flv). */
export type SpeakerFormat = 'wav' | 'mp3' | 'm4a' | 'ogg' | 'flv';

/** File extensions a member's speaker file may carry, by format (Discord voice messages are .ogg). */
const SPEAKER_EXTENSIONS: Record<string, SpeakerFormat> = {
	wav: 'wav',
	wave: 'wav',
	mp3: 'mp3',
	m4a: 'm4a',
	mp4: 'm4a',
	ogg: 'ogg',
	oga: 'ogg',
	opus: 'ogg',
	flv: 'flv',
};

/** The extensions the speaker may have, as Discord's attachment option `file_types` takes them ('.wav', …). */
export const SPEAKER_FILE_TYPES: readonly `.${string}`[] = Object.keys(SPEAKER_EXTENSIONS).map((ext) => `.${ext}` as const);

/**
 * How many leading bytes are enough to recognise the container and read a WAV header: file-type looks at most
 * ~4 KB, and a WAV's chunks before its samples (fmt, LIST, bext, iXML) are a few hundred bytes to a few KB. Every
 * /clone fetches this much from Discord's CDN, so it is kept small.
 */
export const SNIFF_BYTES = 16 * 1024;

export interface SniffedAudio {
	/** The API's name for the format, when it is one the API reads as a speaker. */
	speakerFormat: SpeakerFormat | undefined;
	/** The file extension that matches the bytes (wav, mp3, ogg, opus, m4a, flac, …). */
	ext: string;
	mime: string;
}

/** Recognises audio from its first bytes; undefined when the bytes are not audio at all. */
export async function sniffAudio(head: Uint8Array): Promise<SniffedAudio | undefined> {
	const type = await fileTypeFromBuffer(head);
	if (!type) return undefined;
	const speakerFormat = speakerFormatOf(type.ext);
	const isAudio = speakerFormat !== undefined || type.mime.startsWith('audio/');
	return isAudio ? { speakerFormat, ext: type.ext, mime: type.mime } : undefined;
}

function speakerFormatOf(sniffedExt: string): SpeakerFormat | undefined {
	switch (sniffedExt) {
		case 'wav':
		case 'mp3':
		case 'flv':
			return sniffedExt;
		case 'm4a':
		case 'mp4': // plenty of phone recorders write M4A audio under the generic isom/mp42 brand
			return 'm4a';
		case 'ogg':
		case 'oga':
		case 'opus':
		case 'spx':
			return 'ogg';
		default:
			return undefined;
	}
}

export function speakerFormatForFileName(fileName: string): SpeakerFormat | undefined {
	const ext = fileName.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
	return ext ? SPEAKER_EXTENSIONS[ext] : undefined;
}

/** Content types Discord and browsers give the speaker formats. An absent type is judged by the other checks. */
export function isAudioContentType(contentType: string | null | undefined): boolean {
	if (!contentType) return true;
	const type = (contentType.toLowerCase().split(';')[0] ?? '').trim();
	return type.startsWith('audio/') || type === 'video/x-flv' || type === 'application/ogg' || type === 'video/mp4' || type === 'video/ogg';
}

/**
 * Duration of a PCM WAV from its header: the `data` chunk's size over the byte rate.
 * Undefined when the header is not a WAV, is truncated before the data chunk, or is streamed (size 0 / 0xFFFFFFFF).
 */
export function wavDurationSeconds(head: Uint8Array): number | undefined {
	const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
	if (head.byteLength < 12 || ascii(head, 0, 4) !== 'RIFF' || ascii(head, 8, 4) !== 'WAVE') return undefined;
	let byteRate: number | undefined;
	let offset = 12;
	while (offset + 8 <= head.byteLength) {
		const id = ascii(head, offset, 4);
		const size = view.getUint32(offset + 4, true);
		if (id === 'fmt ' && offset + 20 <= head.byteLength) {
			byteRate = view.getUint32(offset + 16, true);
		} else if (id === 'data') {
			if (!byteRate || size === 0 || size === 0xffffffff) return undefined;
			return size / byteRate;
		}
		offset += 8 + size + (size % 2); // chunks are padded to an even size
	}
	return undefined;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
	return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Extensions Discord plays inline as audio. */
const PLAYABLE_EXTENSIONS = new Set(['wav', 'mp3', 'ogg', 'm4a', 'flac', 'aac', 'opus', 'webm']);

/**
 * The name to upload the cloned speech under, from what its bytes are (the API says only
 * application/octet-stream and `output.ext`), so that Discord shows its inline player. Bytes that say
 * nothing fall back to the media URL's own extension when it is an audio one.
 */
export async function outputFileName(head: Uint8Array, options: { baseName?: string; url?: string } = {}): Promise<string> {
	const baseName = options.baseName ?? 'clone';
	const type = await fileTypeFromBuffer(head);
	if (type) {
		// An MP4 holding speech is M4A to players; Ogg flavours are all .ogg to Discord.
		const ext = type.ext === 'opus' || type.ext === 'oga' ? 'ogg' : type.ext === 'mp4' ? 'm4a' : type.ext;
		return `${baseName}.${ext}`;
	}
	const fromUrl = options.url ? /\.([a-z0-9]{2,5})$/i.exec(new URL(options.url).pathname)?.[1]?.toLowerCase() : undefined;
	return `${baseName}.${fromUrl && PLAYABLE_EXTENSIONS.has(fromUrl) ? fromUrl : 'bin'}`;
}
