"""The sample government site served to page and list-crawl tests (written for the project)."""

from __future__ import annotations

from tests.crawlers.conftest import FIXTURES, Loopback

ARTICLES = {
    "/art/2024/3/5/art_1.html": ("示例市召开安全生产工作会议部署春季安全工作", "2024-03-05 10:20", "李明",
                                 "3月5日上午，示例市召开全市安全生产工作会议，总结去年工作，部署春季安全生产重点任务。会议指出，要深入开展隐患排查整治。"),
    "/art/2024/3/4/art_2.html": ("示例市发布春季森林防火紧急通知", "2024年3月4日 09:00", "王芳",
                                 "当前正值春季森林防火关键期，气温回升、风干物燥，森林火险等级持续偏高，各地要严格野外火源管控。"),
    "/private/art_3.html": ("内部文件：不应被抓取的页面标题示例", "2024-03-03 08:00", "赵六",
                            "这个页面被 robots.txt 禁止抓取，爬虫不应请求它。"),
    "/art/2024/3/2/art_4.html": ("示例区开展食品安全专项检查行动", "2024/3/2 15:30", "陈静",
                                 "示例区市场监管局近日开展食品安全专项检查，重点检查学校食堂、农贸市场和餐饮单位，共检查经营主体一百二十家。"),
    "/art/2024/3/1/art_5.html": ("第三页的文章不应被抓取（超过最大页数）", "2024-03-01 08:00", "孙七",
                                 "超过最大页数的列表页上的文章。"),
}


def article_html(path: str, charset: str = "utf-8") -> str:
    title, date, author, body = ARTICLES[path]
    template = (FIXTURES / "site" / "article_template.html").read_text(encoding="utf-8")
    return template.format(charset=charset, title=title, date=date, author=author, body=body)


def serve_site(server: Loopback) -> None:
    for name in ("list1.html", "list2.html", "list3.html"):
        server.add("/" + name, (FIXTURES / "site" / name).read_bytes(), content_type="text/html; charset=utf-8")
    server.add("/robots.txt", (FIXTURES / "site" / "robots.txt").read_bytes(), content_type="text/plain")
    for path in ARTICLES:
        server.add(path, article_html(path), content_type="text/html; charset=utf-8")
