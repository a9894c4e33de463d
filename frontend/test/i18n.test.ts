import { afterEach, describe, expect, it } from "vitest";

import { dictionaries, getLang, initialLang, label, labelDictionaries, onLangChange, setLang, t } from "../src/i18n";
import { incidentTypes } from "../src/ui/incidents";

afterEach(() => setLang("zh"));

describe("i18n", () => {
  it("speaks Chinese by default", () => {
    expect(getLang()).toBe("zh");
    expect(t("layer.teams")).toBe("救援队伍");
    expect(label("team_status", "en_route")).toBe("途中");
  });

  it("switches to English and tells whoever listens", () => {
    const heard: string[] = [];
    const stored: Record<string, string> = {};
    const stop = onLangChange((lang) => heard.push(lang));
    setLang("en", { setItem: (k, v) => (stored[k] = v) });
    expect(t("layer.teams")).toBe("Rescue teams");
    expect(label("warning_level", "red")).toBe("red");
    expect(heard).toEqual(["en"]);
    expect(Object.values(stored)).toEqual(["en"]);
    stop();
    setLang("zh");
    expect(heard).toEqual(["en"]);
  });

  it("fills placeholders and leaves unknown keys and values readable", () => {
    expect(t("reco.eta", { min: 7 })).toBe("预计 7 分钟");
    expect(t("no.such.key")).toBe("no.such.key");
    expect(label("team_status", "teleporting")).toBe("teleporting");
    expect(label("team_status", null)).toBe("—");
  });

  it("has every text in both languages", () => {
    const zh = Object.keys(dictionaries.zh).sort();
    const en = Object.keys(dictionaries.en).sort();
    expect(en).toEqual(zh);
    for (const [group, values] of Object.entries(labelDictionaries.zh)) {
      expect(Object.keys(labelDictionaries.en[group] ?? {}).sort(), group).toEqual(Object.keys(values).sort());
    }
    for (const type of incidentTypes) expect(labelDictionaries.zh["incident_type"]?.[type], type).toBeDefined();
  });

  it("starts in the language asked for, else the one chosen last time, else Chinese", () => {
    expect(initialLang("?lang=en", "zh")).toBe("en");
    expect(initialLang("", "en")).toBe("en");
    expect(initialLang("?lang=fr", "de")).toBe("zh");
    expect(initialLang("", null)).toBe("zh");
  });
});
