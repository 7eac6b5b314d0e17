/**
 * The portal's two languages, zh-CN (default) and en, with i18next. Each area keeps its own
 * dictionary file (a namespace): common, wallet, participant, regulator, verifier. The choice is
 * kept in localStorage.
 */
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import common from "./common";
import participant from "./participant";
import regulator from "./regulator";
import verifier from "./verifier";
import wallet from "./wallet";

export const LANGUAGES = ["zh-CN", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = "ets.language";

const namespaces = { common, wallet, participant, regulator, verifier };

function stored(): Language {
  const v = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  return v === "en" || v === "zh-CN" ? v : "zh-CN";
}

void i18n.use(initReactI18next).init({
  lng: stored(),
  fallbackLng: "en",
  ns: Object.keys(namespaces),
  defaultNS: "common",
  resources: {
    en: Object.fromEntries(Object.entries(namespaces).map(([ns, d]) => [ns, d.en])),
    "zh-CN": Object.fromEntries(Object.entries(namespaces).map(([ns, d]) => [ns, d.zh])),
  },
  interpolation: { escapeValue: false },
  returnNull: false,
});

export function setLanguage(lng: Language): void {
  localStorage.setItem(STORAGE_KEY, lng);
  document.documentElement.lang = lng;
  void i18n.changeLanguage(lng);
}

document.documentElement.lang = stored();

export default i18n;
