from django import forms


class PadronUploadForm(forms.Form):
    file = forms.FileField(
        label="Archivo del padrón (.zip o .txt)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".zip,.txt"}),
    )
    storage_name = forms.ChoiceField(
        label="…o un archivo ya guardado en la carpeta del padrón",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, stored_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["storage_name"].choices = [("", "—"), *((name, name.split("/")[-1]) for name in stored_files)]

    def apply_errors(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)
