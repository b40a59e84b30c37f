import io, pytest
from openpyxl import Workbook
from django.core.files.uploadedfile import SimpleUploadedFile
from customers import importing
from customers.models import Customer, CustomerNote, ImportJob
from tests.roles import user_with_role

def test_smoke(db):
    admin = user_with_role("Administrador")
    wb = Workbook(); ws = wb.active; ws.title="Clientes"
    ws.append(["Tipo de cliente","Tipo de documento","Número de documento","Razón social","Giro","Departamento","Provincia","Distrito","Dirección","Nombres","Apellidos", "Correos electrónicos"])
    ws.append(["Empresa","RUC",20100070970.0,"Gloria S.A.","Lácteos","lima","LIMA","miraflores","Av. Larco 123",None,None, "a@b.pe"])
    ws.append(["Persona natural","DNI",7654321,None,None,None,None,None,None,"Rosa","Quispe", None])
    ws.append(["Persona natural","DNI","abc",None,None,None,None,None,None,"Rosa","Quispe", None])
    buf = io.BytesIO(); wb.save(buf)
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("c.xlsx", buf.getvalue()))
    job = importing.preview_import(job.pk)
    print(job.status, job.to_create, job.to_update, job.error_rows, job.errors, job.warnings, job.message)
    job = importing.confirm_import(actor=admin, job=job, mode="validas")
    job = importing.run_import(job.pk)
    print(job.status, job.created, job.updated, job.rejected, job.message)
    print(list(Customer.objects.values_list("name","document_number")))
    print(list(CustomerNote.objects.values_list("text", flat=True)))
    print(Customer.history.count())
    job2 = importing.start_import(actor=admin, upload=SimpleUploadedFile("c.xlsx", buf.getvalue()))
    job2 = importing.preview_import(job2.pk)
    print(job2.status, job2.to_create, job2.to_update, job2.unchanged, job2.error_rows, job2.errors)
