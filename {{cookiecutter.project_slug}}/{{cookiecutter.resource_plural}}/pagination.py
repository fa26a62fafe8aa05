from rest_framework.exceptions import NotFound, ValidationError
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

    def get_page_size(self, request):
        # DRF quietly serves the default page for ?page_size=abc or -1 and caps 5000 at the
        # maximum; a client would never learn that it got fewer rows than it asked for.
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        try:
            size = int(asked)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}."
            raise ValidationError({self.page_size_query_param: [message]})
        return size

    def decode_cursor(self, request):
        # DRF takes the position out of the cursor as it finds it. The position is an id here,
        # and a forged cursor such as base64("p=abc") would otherwise reach the query (500).
        cursor = super().decode_cursor(request)
        if cursor and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
