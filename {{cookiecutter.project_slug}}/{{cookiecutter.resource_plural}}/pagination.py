from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Pages of 20, newest first.

    A cursor page is one range scan on the primary key: it neither counts the table nor skips
    over earlier rows, so a page costs the same with a hundred rows or a million.
    """

    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
