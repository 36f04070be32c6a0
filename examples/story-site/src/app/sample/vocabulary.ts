/**
 * Word material for the sample data: real language names in their own scripts
 * (right-to-left ones among the first few, so even the smallest scale has
 * them), and a few everyday words per script for story text.
 */

export type Script =
  | 'latin'
  | 'arabic'
  | 'hebrew'
  | 'cyrillic'
  | 'greek'
  | 'devanagari'
  | 'cjk'
  | 'hangul'
  | 'thai'
  | 'georgian'
  | 'armenian';

export interface LanguageSeed {
  short: string;
  name: string;
  rtl: boolean;
  script: Script;
}

const L = (short: string, name: string, script: Script = 'latin', rtl = false): LanguageSeed => ({
  short,
  name,
  rtl,
  script,
});

/** Order matters: the first FROM_LANGUAGE_POOL are the languages courses are taught from. */
export const KNOWN_LANGUAGES: readonly LanguageSeed[] = [
  L('en', 'English'),
  L('ar', 'العربية', 'arabic', true),
  L('es', 'Español'),
  L('ja', '日本語', 'cjk'),
  L('ru', 'Русский', 'cyrillic'),
  L('he', 'עברית', 'hebrew', true),
  L('el', 'Ελληνικά', 'greek'),
  L('hi', 'हिन्दी', 'devanagari'),
  L('fa', 'فارسی', 'arabic', true),
  L('ur', 'اردو', 'arabic', true),
  L('fr', 'Français'),
  L('de', 'Deutsch'),
  L('zh', '中文', 'cjk'),
  L('ko', '한국어', 'hangul'),
  L('uk', 'Українська', 'cyrillic'),
  L('it', 'Italiano'),
  L('pt', 'Português'),
  L('nl', 'Nederlands'),
  L('pl', 'Polski'),
  L('tr', 'Türkçe'),
  L('sv', 'Svenska'),
  L('nb', 'Norsk bokmål'),
  L('da', 'Dansk'),
  L('fi', 'Suomi'),
  L('hu', 'Magyar'),
  L('cs', 'Čeština'),
  L('ro', 'Română'),
  L('vi', 'Tiếng Việt'),
  L('id', 'Bahasa Indonesia'),
  L('th', 'ไทย', 'thai'),
  L('ka', 'ქართული', 'georgian'),
  L('hy', 'Հայերեն', 'armenian'),
  L('yi', 'ייִדיש', 'hebrew', true),
  L('ps', 'پښتو', 'arabic', true),
  L('ckb', 'کوردی', 'arabic', true),
  L('bg', 'Български', 'cyrillic'),
  L('sr', 'Српски', 'cyrillic'),
  L('ne', 'नेपाली', 'devanagari'),
  L('mr', 'मराठी', 'devanagari'),
  L('sw', 'Kiswahili'),
  L('ga', 'Gaeilge'),
  L('cy', 'Cymraeg'),
  L('is', 'Íslenska'),
  L('la', 'Latina'),
  L('eo', 'Esperanto'),
  L('tlh', 'tlhIngan Hol'),
];

/** Conlangs among the known languages (course.conlang). */
export const CONLANGS: ReadonlySet<string> = new Set(['eo', 'tlh']);

const WORDS: Record<Script, readonly string[]> = {
  latin: [
    'the',
    'a',
    'cat',
    'house',
    'river',
    'bread',
    'friend',
    'window',
    'morning',
    'train',
    'market',
    'letter',
    'garden',
    'teacher',
    'coffee',
    'mountain',
    'city',
    'rain',
    'book',
    'door',
    'table',
    'night',
    'road',
    'song',
    'is',
    'was',
    'goes',
    'sees',
    'wants',
    'buys',
    'finds',
    'opens',
    'waits',
    'says',
    'likes',
    'needs',
    'quickly',
    'today',
    'again',
    'never',
    'here',
    'there',
    'very',
    'small',
    'old',
    'new',
    'green',
    'quiet',
  ],
  arabic: [
    'كتاب',
    'بيت',
    'ماء',
    'صديق',
    'مدينة',
    'شمس',
    'قهوة',
    'باب',
    'طريق',
    'ليل',
    'يذهب',
    'جميل',
    'كبير',
    'اليوم',
  ],
  hebrew: [
    'ספר',
    'בית',
    'מים',
    'חבר',
    'עיר',
    'שמש',
    'קפה',
    'דלת',
    'דרך',
    'לילה',
    'הולך',
    'יפה',
    'גדול',
    'היום',
  ],
  cyrillic: [
    'книга',
    'дом',
    'вода',
    'друг',
    'город',
    'солнце',
    'кофе',
    'дверь',
    'дорога',
    'ночь',
    'идёт',
    'красивый',
    'сегодня',
  ],
  greek: [
    'βιβλίο',
    'σπίτι',
    'νερό',
    'φίλος',
    'πόλη',
    'ήλιος',
    'καφές',
    'πόρτα',
    'δρόμος',
    'νύχτα',
    'πηγαίνει',
    'σήμερα',
  ],
  devanagari: [
    'किताब',
    'घर',
    'पानी',
    'दोस्त',
    'शहर',
    'सूरज',
    'दरवाज़ा',
    'रास्ता',
    'रात',
    'जाता',
    'सुंदर',
    'आज',
  ],
  cjk: [
    '本',
    '家',
    '水',
    '友達',
    '町',
    '太陽',
    'コーヒー',
    '扉',
    '道',
    '夜',
    '行く',
    '今日',
    '大きい',
  ],
  hangul: ['책', '집', '물', '친구', '도시', '해', '커피', '문', '길', '밤', '간다', '오늘'],
  thai: ['หนังสือ', 'บ้าน', 'น้ำ', 'เพื่อน', 'เมือง', 'กาแฟ', 'ประตู', 'ถนน', 'กลางคืน', 'วันนี้'],
  georgian: [
    'წიგნი',
    'სახლი',
    'წყალი',
    'მეგობარი',
    'ქალაქი',
    'ყავა',
    'კარი',
    'გზა',
    'ღამე',
    'დღეს',
  ],
  armenian: [
    'գիրք',
    'տուն',
    'ջուր',
    'ընկեր',
    'քաղաք',
    'սուրճ',
    'դուռ',
    'ճանապարհ',
    'գիշեր',
    'այսօր',
  ],
};

export function wordsFor(script: Script): readonly string[] {
  return WORDS[script];
}

/** Syllables for the invented languages that fill scales beyond the known list. */
export const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ren',
  'tu',
  'sa',
  'vel',
  'no',
  'dri',
  'an',
  'ish',
  'or',
  'zu',
  'pe',
  'qua',
];

export const SPEAKER_VOICES = [
  'Amara',
  'Bruno',
  'Chen',
  'Dalia',
  'Emil',
  'Farah',
  'Goran',
  'Hana',
  'Ivo',
  'Jun',
];
export const SPEAKER_SERVICES = ['azure', 'polly', 'google'];

export const LOCALIZATION_TAGS = [
  'nav_home',
  'nav_courses',
  'nav_faq',
  'nav_login',
  'nav_logout',
  'story_continue',
  'story_finished',
  'story_listen',
  'button_check',
  'button_next',
  'button_back',
  'course_stories',
  'course_about',
  'course_contributors',
  'profile_title',
  'settings_title',
  'feedback_button',
  'editor_approve',
  'editor_publish',
  'footer_about',
] as const;

export const IMAGE_NOUNS = [
  'lighthouse',
  'bakery',
  'bicycle',
  'harbor',
  'forest',
  'kitchen',
  'station',
  'library',
  'garden',
];
export const COURSE_TAGS = [
  'beginner',
  'official',
  'beta',
  'community',
  'audio',
  'grammar',
  'travel',
];
