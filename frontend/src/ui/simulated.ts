// The "simulated feed" badge in the top bar: shown while demo gateways feed this server (`commandpost
// demo`), so nobody takes the moving map for real readings and positions.

import { get } from "../api";
import { fill } from "../dom";
import { onLangChange, t } from "../i18n";

interface About {
  simulated_feed: boolean;
}

export async function simulatedBadge(badge: HTMLElement): Promise<void> {
  const render = (on: boolean) => {
    badge.hidden = !on;
    fill(badge, on ? t("feed.simulated") : "");
    badge.title = on ? t("feed.simulated_title") : "";
  };
  try {
    const about = await get<About>("/api/v1/about");
    render(about.simulated_feed);
    onLangChange(() => render(about.simulated_feed));
  } catch (error) {
    console.warn("cannot tell whether the feed is simulated", error);
  }
}
