"""URL routes of the example."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.visit),
    path("hits", views.hits),
    path("pools", views.pools),
    path("health", views.health),
]
