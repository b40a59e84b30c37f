from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from customers.queries import list_customers


@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request):
    page = Paginator(list_customers(actor=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"page": page})
