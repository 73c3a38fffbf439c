"""The permissions this app gives the staff roles (``accounts.roles``), registered by ``NoticesConfig.ready()``."""

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "notice_editor": [
        "notices.view_notice", "notices.add_notice", "notices.change_notice", "notices.delete_notice",
        "notices.view_noticeattachment", "notices.add_noticeattachment", "notices.change_noticeattachment",
        "notices.delete_noticeattachment",
    ],
}
