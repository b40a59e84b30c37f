from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "Crédito y condiciones de venta"

    def ready(self):
        # customers never imports credit: credit fills the registries customers owns.
        from credit.filters import credit_row_state, load_credit_rows, make_credit_filter
        from credit.merging import MOVER
        from credit.services import referencing_document_reasons, unpaid_document_reasons
        from customers import extensions
        from customers.guards import register_purge_guard, register_trash_guard
        from customers.merge_movers import register_mover

        # Eliminar is refused while a comprobante is unpaid; Eliminar definitivamente while any exists.
        register_trash_guard(unpaid_document_reasons)
        register_purge_guard(referencing_document_reasons)
        # Fusionar moves comprobantes, pagos, proyectos, puntos and solicitudes to the survivor.
        register_mover(MOVER)

        extensions.register_summary_tab(
            extensions.SummaryTab(
                "condiciones", "Condiciones de venta", "credit:conditions", "credit.view_creditaccount"
            )
        )
        extensions.register_summary_tab(
            extensions.SummaryTab("comprobantes", "Comprobantes", "credit:documents", "credit.view_document")
        )
        extensions.register_summary_tab(
            extensions.SummaryTab("puntos", "Puntos", "credit:points", "credit.view_pointsmovement")
        )
        extensions.register_list_column(
            extensions.ListColumn(
                key="credito",
                label="Crédito disponible",
                cell_template="credit/_list_cell.html",
                permission="credit.view_creditaccount",
                load_page=load_credit_rows,
                css_class="d-none d-lg-table-cell text-end credit-cell",
            )
        )
        extensions.register_row_menu_entry(
            extensions.RowMenuEntry(
                "credito",
                "credit/_row_menu.html",
                "credit.view_creditaccount",
                list_template="credit/_row_menu_list.html",
                row_state=credit_row_state,
                load_page=load_credit_rows,
            )
        )
        extensions.register_list_filter(
            extensions.ListFilter("credito", make_credit_filter, "credit/_list_filter.html")
        )
        # Cupo, lista de precios and forma de pago as columns of the customer spreadsheet
        # (template, import, export), with the rules of the Condiciones de venta panel.
        from credit import queries, services

        extensions.register_sheet_columns(
            extensions.SheetColumns(
                key="credito",
                columns=(
                    extensions.SheetColumn(
                        "credit_limit",
                        "Cupo de crédito",
                        "Monto en S/ (vacío: no cambia)",
                        # ERPNext's and Odoo's «Credit Limit» (Odoo es: «Límite de crédito»;
                        # ERPNext's child table exports as «Credit Limit (Credit Limits)»).
                        (
                            "cupo",
                            "limite de credito",
                            "limite credito",
                            "linea de credito",
                            "credito maximo",
                            "credit limit",
                        ),
                        "5000",
                        "",
                    ),
                    extensions.SheetColumn(
                        "price_list",
                        "Lista de precios",
                        "Una de las listas de Configuración",
                        # ERPNext's «Default Price List», Odoo's «Tarifa» (en: «Pricelist»).
                        ("lista", "lista de precio", "price list", "pricelist", "tarifa"),
                        "",
                        "",
                        options=services.active_price_list_names,
                    ),
                    extensions.SheetColumn(
                        "payment_term",
                        "Forma de pago",
                        "Una de las formas de pago de Configuración",
                        # ERPNext's «Default Payment Terms Template», Odoo's «Plazos de pago del
                        # cliente» (en: «Customer Payment Terms»).
                        (
                            "condicion de pago",
                            "condiciones de pago",
                            "forma pago",
                            "plazo de pago",
                            "plazos de pago",
                            "payment terms",
                        ),
                        "",
                        "",
                        options=services.active_payment_term_names,
                    ),
                ),
                permission="credit.change_creditaccount",
                view_permission="credit.view_creditaccount",
                load=services.sheet_choices,
                clean=services.clean_sheet_cells,
                current=services.sheet_current,
                describe=services.describe_sheet_change,
                write=services.write_sheet_values,
                export=queries.sheet_export_columns,
            )
        )
        extensions.register_settings_link(
            extensions.SettingsLink(
                "Ventas y crédito",
                "credit:settings",
                "credit.change_pricelist",
                "Listas de precios, formas de pago y programa de puntos.",
            )
        )
