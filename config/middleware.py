from django.shortcuts import render


class MethodNotAllowedPage:
    """An action's address opened as a page (a bookmark, a copied link) gets Django's empty 405,
    which browsers replace with their own English error page: answer with the Spanish page of
    the layout instead, keeping the status and its Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
