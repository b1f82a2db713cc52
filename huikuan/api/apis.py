from ninja import NinjaAPI

api = NinjaAPI(title="Huikuan API", version="1")
