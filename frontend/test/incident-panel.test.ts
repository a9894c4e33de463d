import { describe, expect, it } from "vitest";

import { isOverdue, parseChecklist, type ChecklistReply } from "../src/dispatch";
import { setLang } from "../src/i18n";
import { timelineText } from "../src/ui/incidents";

describe("response-plan checklist", () => {
  const item = (id: number, code: string, action: string, role: string, dueAt: string, doneAt: string | null, doneBy: string | null) => ({
    id,
    incident_id: 3,
    response_level: "II" as const,
    code,
    action,
    role,
    opened_at: "2026-11-22T02:00:00+00:00",
    due_at: dueAt,
    done_at: doneAt,
    done_by: doneBy,
    note: null,
    status: doneAt ? "done" : "open",
    overdue: false,
    version: doneAt ? 2 : 1,
  });
  const answer: ChecklistReply = {
    incident_id: 3,
    response_level: "II",
    plan: "危险化学品泄漏 II级响应",
    opened_at: "2026-11-22T02:00:00+00:00",
    as_of: "2026-11-22T02:06:00+00:00",
    open: 2,
    overdue: 1,
    done: 1,
    items: [
      item(2, "report_city", "向市应急管理局报告", "leader_on_duty", "2026-11-22T02:30:00+00:00", null, null),
      item(1, "notify_leader", "报告带班领导", "duty_officer", "2026-11-22T02:05:00+00:00", null, null),
      item(3, "dispatch_first_response", "调派首批救援力量", "dispatcher", "2026-11-22T02:05:00+00:00", "2026-11-22T02:03:00+00:00", "调度员 陈静"),
    ],
  };

  it("reads the plan, the server's time and the actions, oldest deadline first", () => {
    const checklist = parseChecklist(answer);
    expect(checklist.plan).toBe("危险化学品泄漏 II级响应");
    expect(checklist.asOf).toBe(Date.parse("2026-11-22T02:06:00Z"));
    expect(checklist.items.map((i) => i.code)).toEqual(["notify_leader", "dispatch_first_response", "report_city"]);
  });

  it("calls overdue what is not done past its deadline on the server's clock", () => {
    const checklist = parseChecklist(answer);
    const overdue = checklist.items.filter((i) => isOverdue(i, checklist.asOf)).map((i) => i.code);
    expect(overdue).toEqual(["notify_leader"]); // the done one is never overdue
    expect(checklist.items.filter((i) => isOverdue(i, Date.parse("2026-11-22T02:04:00Z")))).toEqual([]);
  });
});

describe("incident timeline events", () => {
  const line = (type: string, details: Record<string, unknown>, text = "") => ({ kind: "event", type, text, details });

  it("words what happened to the incident in Chinese", () => {
    expect(timelineText(line("incident.updated", { changes: { response_level: { from: "IV", to: "II" } } }))).toBe(
      "修改：响应级别 Ⅳ级 → Ⅱ级",
    );
    expect(timelineText(line("assignment.created", { team_name: "危化品救援队" }))).toBe("派遣 危化品救援队");
    expect(timelineText(line("assignment.status_changed", { team_name: "危化品救援队", from: "dispatched", to: "en_route" }))).toBe(
      "危化品救援队：已派遣 → 途中",
    );
    expect(
      timelineText(line("material_request.created", { items: [{ material: "foam", quantity: 30, unit: "t", shortage: 10 }] }), (code) =>
        code === "foam" ? "泡沫灭火剂" : code,
      ),
    ).toBe("申请物资：泡沫灭火剂 30 t（缺口 10）");
    expect(timelineText(line("incident.action_done", { action: "调派首批救援力量", automatic: true, late: false }))).toBe(
      "已完成：调派首批救援力量（派遣时自动勾选）",
    );
    expect(timelineText(line("closure.created", { kind: "danger_zone", reason: "氯气扩散" }))).toBe("划定危险区：氯气扩散");
    expect(timelineText(line("incident.reopened", { reason: "现场复燃" }))).toBe("事件重新打开：现场复燃");
  });

  it("and in English", () => {
    setLang("en");
    try {
      expect(
        timelineText(line("material_request.allocation_cancelled", { material: "foam", quantity: 5, depot_name: "东路储备库", to: "cancelled" })),
      ).toBe("foam 5 (东路储备库): cancelled");
      expect(timelineText(line("incident.stood_down", { teams: 2, materials: 1 }))).toBe(
        "stood down: 2 team(s) released, 1 allocation(s) returned",
      );
    } finally {
      setLang("zh");
    }
  });
});
