import type { LanguagePack } from '../pack.js';
import cs from './cs.js';
import de from './de.js';
import en from './en.js';
import es from './es.js';
import fr from './fr.js';
import hi from './hi.js';
import hu from './hu.js';
import it from './it.js';
import ko from './ko.js';
import nl from './nl.js';
import pl from './pl.js';
import pt from './pt.js';
import ru from './ru.js';
import tr from './tr.js';
import zhCN from './zh-CN.js';
import zhTW from './zh-TW.js';

/**
 * Every language file. To add a language: copy de.ts to a new file, translate its texts, set its tag and
 * Discord locales, and list it here. Keys it leaves out fall back to English.
 */
export const LANGUAGE_PACKS: readonly LanguagePack[] = [en, es, fr, de, pt, it, pl, tr, ru, nl, cs, zhCN, zhTW, hu, ko, hi];
