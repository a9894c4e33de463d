// The drill director's console, in the drill banner: the exercise clock, start / pause / resume /
// speed / stop, how many injects have been played, and the after-action report.

import { get, post } from "../api";
import { fill, h } from "../dom";
import { t } from "../i18n";

interface Exercise {
  id: number;
  status: string;
  speed: number;
  now: string;
}

interface InjectRow {
  fired_at: string | null;
}

const SPEEDS = [1, 5, 10, 30, 60];

export class DirectorConsole {
  private exercise: Exercise | null = null;
  private injects: InjectRow[] = [];
  // Said once, not every poll: an unknown exercise, or the server away for a while.
  private failing = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly exerciseId: number,
    private readonly fail: (error: unknown) => void,
  ) {}

  start(everyMs = 2000): void {
    void this.refresh();
    setInterval(() => void this.refresh(), everyMs);
  }

  async refresh(): Promise<void> {
    try {
      const base = `/api/v1/exercises/${this.exerciseId}`;
      [this.exercise, this.injects] = await Promise.all([get<Exercise>(base), get<InjectRow[]>(`${base}/injects`)]);
      this.failing = false;
    } catch (error) {
      this.exercise = null;
      if (!this.failing) this.fail(error);
      this.failing = true;
    }
    this.render();
  }

  private async act(action: string, body: Record<string, unknown> = {}): Promise<void> {
    try {
      this.exercise = await post<Exercise>(`/api/v1/exercises/${this.exerciseId}/${action}`, body);
    } catch (error) {
      this.fail(error);
    }
    await this.refresh();
  }

  render(): void {
    const x = this.exercise;
    if (x === null) {
      fill(this.root);
      return;
    }
    const time = new Date(x.now).toLocaleString(undefined, { hour12: false });
    const fired = this.injects.filter((i) => i.fired_at !== null).length;
    const button = (key: string, action: string) =>
      h("button", { class: `btn director-${action}`, onclick: () => void this.act(action) }, t(key));
    fill(
      this.root,
      h("span", { class: "director-clock" }, t("director.clock", { time, speed: x.speed, status: x.status })),
      h("span", { class: "director-injects" }, t("director.injects", { fired, planned: this.injects.length })),
      x.status === "ready" ? button("director.start", "start") : null,
      x.status === "running" ? button("director.pause", "pause") : null,
      x.status === "paused" ? button("director.resume", "resume") : null,
      x.status !== "finished"
        ? h(
            "label",
            null,
            t("director.speed"),
            h(
              "select",
              {
                class: "director-speed",
                onchange: (e: Event) => void this.act("speed", { speed: Number((e.target as HTMLSelectElement).value) }),
              },
              SPEEDS.map((s) => h("option", { value: String(s), selected: s === x.speed }, `×${s}`)),
            ),
          )
        : null,
      x.status !== "finished" ? button("director.stop", "stop") : null,
      h(
        "a",
        { class: "director-report", href: `/api/v1/exercises/${this.exerciseId}/report.html`, target: "_blank" },
        t("director.report"),
      ),
    );
  }
}
